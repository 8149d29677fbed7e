/** SQL embedded in TypeScript, JavaScript, Python, Go and Rust code (see extract.ts). */
export { extractHost, extractSql, initEmbedded, toHostOffset, toHostRange, touchesInterpolation, type EmbeddedSql, type FoundBy, type HostExtract } from './extract';
export type { Hole, HoleKind } from './builder';
export { directivesOf, hostErrorCount, type HostDirective } from './directives';
export { hostEdit, type HostEdit } from './edit';
export { hostLanguageOf, HOST_LANGUAGES, type HostLanguage } from './grammars';
export { DEFAULT_CALLS, DEFAULT_EMBEDDED_OPTIONS, DEFAULT_TAGS, type EmbeddedLanguage, type EmbeddedOptions } from './options';
export type { Piece } from './strings';
export { encodeSqlText, type PieceStyle } from './style';
