import type { Reporter, SerializedError, TestModule } from "vitest/node";

/**
 * Ends the run with one plain line, `tests: N passed, N failed, N skipped`, which CI systems that
 * do not know vitest's coloured summary can read.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
  ): void {
    // An error thrown outside any test (a timer, a stray promise) fails the run, so it counts.
    const count = { passed: 0, failed: unhandledErrors.length, skipped: 0, pending: 0 };
    for (const m of testModules) {
      for (const t of m.children.allTests()) count[t.result().state]++;
      // A file that failed before its tests ran (an import or hook error) has failed too.
      if (m.state() === "failed" && [...m.children.allTests("failed")].length === 0) count.failed++;
    }
    console.log(
      `tests: ${count.passed} passed, ${count.failed} failed, ${count.skipped + count.pending} skipped`,
    );
  }
}
