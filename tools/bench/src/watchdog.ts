// Cleans up after a bench that died without doing it itself (SIGKILL, OOM). The bench starts this
// detached and writes "pid <n>" for every child (each leads its own process group), "gone <n>" when it exited, and "done" once
// it has stopped them; stdin closing without "done" means the bench is gone. Then every child's
// group gets SIGTERM (SIGKILL after 5 s) and the bench's temporary folder is removed.
import { rmSync } from "node:fs";
import { createInterface } from "node:readline";

const tempDir = process.argv[2];
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
const killGroup = (pid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(-pid, signal);
  } catch {
    /* gone */
  }
};

createInterface({ input: process.stdin, crlfDelay: Infinity })
  .on("line", (line) => {
    const [word, arg] = line.split(" ");
    if (word === "pid" && arg) pids.push(Number(arg));
    if (word === "gone" && arg) {
      const i = pids.indexOf(Number(arg));
      if (i >= 0) pids.splice(i, 1);
    }
    if (word === "done") done = true;
  })
  .on("close", () => {
    if (done) process.exit(0);
    for (const pid of pids) if (alive(pid)) killGroup(pid, "SIGTERM");
    const deadline = Date.now() + 5_000;
    const check = setInterval(() => {
      const left = pids.filter(alive);
      if (left.length > 0 && Date.now() < deadline) return;
      for (const pid of pids) killGroup(pid, "SIGKILL");
      clearInterval(check);
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
      process.exit(0);
    }, 100);
  });

process.on("SIGINT", () => {});
process.on("SIGHUP", () => {});
