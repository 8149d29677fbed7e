/** SQL embedded in TypeScript, JavaScript, Python, Go and Rust code (see extract.ts). */
export { extractSql, initEmbedded, toHostOffset, toHostRange, touchesInterpolation, type EmbeddedSql, type FoundBy } from './extract';
export type { Hole, HoleKind } from './builder';
export { hostLanguageOf, HOST_LANGUAGES, type HostLanguage } from './grammars';
export { DEFAULT_CALLS, DEFAULT_EMBEDDED_OPTIONS, DEFAULT_TAGS, type EmbeddedLanguage, type EmbeddedOptions } from './options';
