import type { PyContext } from './context.js';

export function extractSerializers(_ctx: PyContext): void {}
