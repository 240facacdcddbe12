/**
 * Paths for tests. Tests read committed fixtures under test/fixtures; the team's shared folder
 * (../shared beside the checkout, as on CI) is optional and only used by checks that say so.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');
export const fixture = (...parts: string[]) => join(FIXTURES, ...parts);

/** The shared folder beside the checkout (CI layout), or undefined when absent. */
export const SHARED: string | undefined = [join(REPO_ROOT, '..', 'shared'), '/work/shared'].find((p) => existsSync(p));
export const sharedPath = (...parts: string[]) => (SHARED ? join(SHARED, ...parts) : undefined);

/** The shared folder, or a path that does not exist (tests that need it check and skip). */
export const SHARED_ROOT: string = SHARED ?? join(REPO_ROOT, '..', 'shared');
