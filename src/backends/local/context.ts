/**
 * What the local backend's parts share: the home's layout, the store (opened on first use), the
 * event hub, the supervisor launcher and the stop grace period. The queue ({@link LocalQueue})
 * and the job lifecycle ({@link JobLifecycle}) each hold one; the façade owns and closes it.
 * @module
 */
import { join } from 'node:path';
import { EventHub } from './events.js';
import type { FileIdentity, HomeLayout } from './home.js';
import { SupervisorLauncher, type SupervisorKind } from './launcher.js';
import { Store } from './store.js';

/** The shared state of one local backend instance. */
export class LocalContext {
  readonly layout: HomeLayout;
  readonly hub: EventHub;
  readonly launcher: SupervisorLauncher;
  /** Milliseconds ranks get between SIGTERM and SIGKILL when a job is stopped. */
  readonly graceMs: number;
  /** How messages name this backend (`Backend.description`). */
  readonly description: string;
  #store: Store | undefined;
  /** Open only this store file (see `LocalBackendOptions.existingStore`). */
  readonly #existingStore: FileIdentity | undefined;

  constructor(options: {
    readonly layout: HomeLayout;
    readonly graceMs: number;
    readonly description: string;
    readonly supervisor: SupervisorKind | undefined;
    readonly existingStore?: FileIdentity | undefined;
  }) {
    this.layout = options.layout;
    this.#existingStore = options.existingStore;
    this.graceMs = options.graceMs;
    this.description = options.description;
    this.hub = new EventHub(options.layout.events);
    this.launcher = new SupervisorLauncher(options.supervisor);
  }

  /** The store, opened on first use (a closed backend opens it again when used again). */
  get db(): Store {
    this.#store ??= new Store(
      this.layout.database,
      this.#existingStore === undefined ? {} : { existing: this.#existingStore },
    );
    return this.#store;
  }

  /** True while the store is open: late callbacks of a closed backend must not reopen it. */
  get isOpen(): boolean {
    return this.#store !== undefined;
  }

  /** The directory of job `name`. */
  jobDir(name: string): string {
    return join(this.layout.jobs, name);
  }

  /** Closes the launcher, the event hub and the store. */
  close(): void {
    this.launcher.close();
    this.hub.close();
    this.#store?.close();
    this.#store = undefined;
  }
}
