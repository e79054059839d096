import { createRequire } from 'node:module';

/**
 * cdk8s-plus-28, loaded with require(). It is CommonJS with a 2.6 MB generated k8s module;
 * an ESM `import` makes Node scan all of it for named exports first (cjs-module-lexer),
 * which roughly doubled its share of `qctl synth` start-up. Types stay exact.
 */
const require = createRequire(import.meta.url);
export const kplus = require('cdk8s-plus-28') as typeof import('cdk8s-plus-28');
