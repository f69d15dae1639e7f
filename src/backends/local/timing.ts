/**
 * The local backend's timings that processes depend on, in one place: what one konduktor process
 * (a waiter, the admission agent, a supervisor) may assume about how soon another acts. Change
 * one here and read its neighbours: several are sized against each other (a waiter's liveness
 * check against the agent's sweep, a requeue against the launcher's answer). All in milliseconds.
 * @module
 */

/**
 * Between SIGTERM and SIGKILL when a job's processes are ended (stop, cancel, a failed rank's
 * siblings), unless `LocalBackend({ graceMs })` says otherwise. Passed to the supervisor exactly
 * (`p:grace_ms`), not rounded to seconds.
 */
export const GRACE_MS = 5000;

/** How long the queue must stay empty before the admission agent exits. */
export const AGENT_IDLE_EXIT_MS = 3000;

/** How long jobs may wait in the queue of a live process before the agent is started. */
export const AGENT_DELAY_MS = 1000;

/** How long a live agent, once seen, is taken to be there still. */
export const AGENT_SEEN_MS = 500;

/** How long a deferring agent waits after an event before it looks at the queue. */
export const AGENT_DEFER_MS = 100;

/** How often admission at most checks that the supervisors of running jobs are alive. */
export const LIVENESS_SWEEP_MS = 250;

/** How often a wait re-checks that the job's supervisor is alive (it has no exit event for us). */
export const LIVENESS_INTERVAL_MS = 1000;

/**
 * An admitted job whose admitter died before starting it goes back to the queue after this long
 * (well over {@link START_ANSWER_MS}, so a slow but live launcher is never raced).
 */
export const ORPHAN_ADMISSION_MS = 30_000;

/** How long a launch waits for the launcher to answer before it returns anyway. */
export const START_ANSWER_MS = 5000;

/** How long the capacity read from the machine and config.yaml is reused. */
export const CAPACITY_TTL_MS = 1000;
