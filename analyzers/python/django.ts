import type { PyContext } from './context.js';

export function extractDjango(_ctx: PyContext): void {}
