// Cleans up after a demo that died without doing it itself (SIGKILL, OOM). The demo starts this
// in a process group of its own and writes "pid <n>" for every child and "done" once it has
// stopped them; stdin closing without "done" means the demo is gone. Then the children get
// SIGTERM (SIGKILL after 10 s) and the temporary COURIER_HOME is removed.
import { rmSync } from "node:fs";
import { createInterface } from "node:readline";

const home = process.argv[2];
const pids: number[] = [];
let done = false;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

createInterface({ input: process.stdin, crlfDelay: Infinity })
  .on("line", (line) => {
    const [word, arg] = line.split(" ");
    if (word === "pid" && arg) pids.push(Number(arg));
    if (word === "done") done = true;
  })
  .on("close", () => {
    if (done) process.exit(0);
    for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGTERM");
    const deadline = Date.now() + 10_000;
    const check = setInterval(() => {
      const left = pids.filter(alive);
      if (left.length > 0 && Date.now() < deadline) return;
      for (const pid of left) process.kill(pid, "SIGKILL");
      clearInterval(check);
      // After the Couriers are gone, so no heartbeat writes the registry again.
      if (home) rmSync(home, { recursive: true, force: true });
      process.exit(0);
    }, 100);
  });

// The terminal's Ctrl-C is the demo's to handle; this process only acts when stdin closes.
process.on("SIGINT", () => {});
process.on("SIGHUP", () => {});
