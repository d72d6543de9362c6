export {
  ConfigError,
  type ConfigIssue,
  type ConfigSource,
  displayValue,
  formatConfigIssue,
  formatSource,
} from "./config-error.js";
export type {
  BooleanField,
  ConfigField,
  ConfigFields,
  IntTableField,
  NumberField,
  SectionField,
  StringField,
  StringListField,
} from "./config-schema.js";
export { checkEnvText, checkField, expectedOf } from "./config-schema.js";
export { didYouMean } from "./did-you-mean.js";
export { type ExplainedSetting, explainConfig, formatExplainedConfig } from "./explain-config.js";
export {
  type ConfigSpec,
  type EnvBinding,
  type FinalizeContext,
  fileKey,
  type LayeredConfig,
  type LoadLayeredConfigOptions,
  loadLayeredConfig,
  loadLayeredConfigOrThrow,
  type Provenance,
} from "./load-layered-config.js";
export { type ConfigDocument, readConfigDocument } from "./read-config-document.js";
