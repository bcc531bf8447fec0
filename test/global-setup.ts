import { synthesizedTemplate } from './helpers/stack-template';

/**
 * Synthesizes the stack once before any test runs (a no-op when the cached template matches infra/), so the tests
 * that start the embedded AWS with IAM enforced never spend their own time budget on a synthesis.
 */
export default function globalSetup(): void {
  synthesizedTemplate();
}
