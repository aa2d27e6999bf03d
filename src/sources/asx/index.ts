/** The ASX CSV source: files to v2 trades and quotes. */
export { AsxFileError, AsxRowError } from './asx-row-error.js';
export { readAsxFile, type AsxBatch, type AsxConvertContext, type AsxInputFile, type RejectedRow } from './asx-file-reader.js';
export {
  planAsxLoad,
  runAsxLoad,
  type AsxLoadPlan,
  type AsxLoadPlanOptions,
  type AsxLoadResult,
  type AsxLoadRunOptions,
  type AsxRecordSink,
  type SideQuotesMode,
} from './asx-load.js';
export { companyIdOfFile, findCompanyReference, loadCompanyReference, type CompanyInfo, type CompanyReference } from './company-reference.js';
export { DeadLetterFile } from './dead-letter.js';
export { detectAsxFormat, type AsxFileFormat } from './file-format.js';
export { LoadSummary, type LoadSummaryJson, type SymbolSummaryJson } from './load-summary.js';
export { QuoteMidIndex, QuoteMidIndexBuilder } from './quote-mid-index.js';
export { SIDE_METHODS, SideClassifier, type SideMethod, type SideResult } from './side-classifier.js';
export { ASX_TIME_ZONE, SydneyClock, parseTimeOfDayMicros, type LocalDay } from './sydney-time.js';
export { ASX_CURRENCY, ASX_EXCHANGE } from './raw-row-converters.js';
