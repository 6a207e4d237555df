/**
 * The exit codes of every driftwatch command (README "CLI reference"). Scripts and supervisors
 * depend on them: never renumber one.
 */
export const EXIT = {
  /** Done; for `run`, a graceful stop (SIGTERM, SIGINT). */
  ok: 0,
  /**
   * A failure at run time: the daemon crashed (restart it, it resumes from committed offsets),
   * a `doctor` check failed, a `config validate --sample` message was refused.
   */
  failed: 1,
  /**
   * Usage, configuration, rules or baseline error, or a start-up failure of an address or of the
   * security settings: one line on stderr with a stable code and the key to change.
   */
  usage: 2,
} as const;
