/** SQL embedded in TypeScript, JavaScript, Python, Go and Rust code (see extract.ts). */
export {
  extractHost,
  extractSql,
  initEmbedded,
  parseLikeExtraction,
  primeHostExtracts,
  type HostExtract,
  toHostOffset,
  toHostRange,
  touchesInterpolation,
  type EmbeddedSql,
} from './extract';
export { hostErrorCount, hostErrorCounts, type HostDirective } from './directives';
export { hostEdit } from './edit';
export { hostLanguageOf, HOST_LANGUAGES } from './grammars';
export { DEFAULT_EMBEDDED_OPTIONS, type EmbeddedLanguage, type EmbeddedOptions } from './options';
export { encodeSqlText } from './style';
export { packExtract, unpackExtract, type PackedExtract } from './pack';
