/**
 * The hub's X12 5010 codec: delimiters, a streaming tokenizer, envelope and loop checks, a
 * generator and 999 acknowledgments. It knows X12, not the canonical model.
 */
export { readDelimiters, DEFAULT_DELIMITERS, ISA_LENGTH, type Delimiters } from './delimiters.js';
export {
  readSegments,
  readSegmentBatches,
  parseSegments,
  components,
  repetitions,
  element,
  elementNumber,
  elementCount,
  SegmentScanner,
  type Segment,
  type SegmentSource,
} from './tokenizer.js';
export { HeldSegments } from './held.js';
export { problemAt, problemsError, elementName, type X12Problem, type ProblemCode } from './problems.js';
export {
  EnvelopeValidator,
  validateInterchange,
  validateStream,
  type EnvelopeReport,
  type InterchangeInfo,
  type GroupInfo,
  type TransactionSetInfo,
} from './envelope.js';
export {
  LoopBuilder,
  buildLoops,
  chooseSpec,
  transactionSets,
  TransactionSetCollector,
  walkLoops,
  type Loop,
  type LoopSpec,
  type LoopTree,
  type LoopTrigger,
  type TransactionSpec,
  type TransactionSetSegments,
} from './loops.js';
export * from './specs/index.js';
export {
  buildInterchange,
  buildInterchangeDetailed,
  splitBatches,
  type BuiltInterchange,
  type ElementValue,
  type ControlNumberSource,
  type InterchangeOptions,
  type PartyId,
} from './generator.js';
export { ack999Sets, buildAck999, ACK_999_VERSION, type Ack999Options } from './ack999.js';
export {
  parseTa1,
  ta1Problems,
  isaProblems,
  ta1For,
  ta1Elements,
  buildTa1,
  embedTa1,
  acknowledgmentRequested,
  TA1_NOTE_CODES,
  type Ta1,
  type Ta1AcknowledgmentCode,
  type Ta1Decision,
  type Ta1Options,
} from './ta1.js';
