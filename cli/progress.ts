/**
 * A one-line progress bar for long CLI runs (`[#####.....] 12/40 files  path`), redrawn in place
 * on stderr. Our own ~50 lines rather than `cli-progress`: all we draw is one bar with a count
 * and a name, and owning it lets the CLI decide when to draw (TTY, `--progress`, `--quiet`)
 * and tests drive it with a plain writable, with no dependency whose last release is years old.
 * Redraws are throttled so a fast run on thousands of cached files does not flood the terminal.
 */

export interface ProgressBarOptions {
  stream: { write(chunk: string): unknown };
  /** Terminal width; the line is cut to fit. */
  columns?: number;
  /** What is counted, e.g. `files`. */
  unit?: string;
  /** Minimum milliseconds between redraws (the last one is always drawn). */
  intervalMs?: number;
  now?: () => number;
}

export interface ProgressBar {
  update(done: number, total: number, detail?: string): void;
  /** Draws the final state and ends the line. */
  finish(): void;
}

export function createProgressBar(options: ProgressBarOptions): ProgressBar {
  const { stream, unit = 'files', intervalMs = 100, now = Date.now } = options;
  const columns = Math.max(40, options.columns ?? 80);
  let last = -Infinity;
  let state = { done: 0, total: 0, detail: '' };
  let drawn = false;
  let stale = false;
  const draw = (): void => {
    stale = false;
    const { done, total, detail } = state;
    const width = 24;
    const filled = total > 0 ? Math.round((done / total) * width) : 0;
    let line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${unit}`;
    if (detail) line += `  ${detail}`;
    if (line.length > columns - 1) line = `${line.slice(0, columns - 2)}…`;
    // \r back to column 0, ESC[K clears what a longer previous line left behind.
    stream.write(`\r${line}\x1b[K`);
    drawn = true;
  };
  return {
    update(done, total, detail = '') {
      state = { done, total, detail };
      stale = true;
      const t = now();
      if (done === total || t - last >= intervalMs) {
        last = t;
        draw();
      }
    },
    finish() {
      if (stale) draw();
      if (drawn) stream.write('\n');
    },
  };
}
