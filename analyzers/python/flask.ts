import type { PyContext } from './context.js';

export function extractFlask(_ctx: PyContext): void {}
