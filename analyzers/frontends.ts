/**
 * The analyzer frontends `ficus analyze` uses, in priority order: for each file the first whose
 * `accepts(path, head)` is true analyzes it. A new language lands here with one import.
 */
import { cobolFrontend } from './cobol/index.js';
import { csharpFrontend } from './csharp/index.js';
import { javaFrontend } from './java/index.js';
import { javascriptFrontend } from './javascript/index.js';
import type { Frontend } from './model.js';
import { phpFrontend } from './php/index.js';
import { pythonFrontend } from './python/index.js';

/** Every built-in frontend. */
export const frontends: readonly Frontend[] = Object.freeze([cobolFrontend, javaFrontend, csharpFrontend, phpFrontend, pythonFrontend, javascriptFrontend]);
