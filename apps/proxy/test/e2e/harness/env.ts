import { startApp } from "./apps.js";
import type { TestApp } from "./apps.js";
import { startCourier, tempHome } from "./processes.js";
import type { CourierProcess, StartCourierOptions } from "./processes.js";

/**
 * Everything one test file starts — a temp COURIER_HOME, apps, Courier processes — so a single
 * `close()` in afterAll stops it all, also when setup failed halfway.
 */
export class E2eEnv {
  readonly home = tempHome();
  readonly #apps: TestApp[] = [];
  readonly #couriers: CourierProcess[] = [];

  async app(): Promise<TestApp> {
    const app = await startApp();
    this.#apps.push(app);
    return app;
  }

  async courier(opts: Omit<StartCourierOptions, "home">): Promise<CourierProcess> {
    const proc = await startCourier({ ...opts, home: this.home.dir });
    this.#couriers.push(proc);
    return proc;
  }

  /** SIGTERM, then SIGKILL after 3 s; apps closed; temp dir removed. */
  async close(): Promise<void> {
    await Promise.all(
      this.#couriers.map(async (proc) => {
        const killer = setTimeout(() => proc.child.kill("SIGKILL"), 3_000);
        await proc.stop("SIGTERM");
        clearTimeout(killer);
      }),
    );
    await Promise.all(this.#apps.map((app) => app.close()));
    this.home.cleanup();
  }
}
