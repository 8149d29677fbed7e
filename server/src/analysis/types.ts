/** Shared vocabulary of the analysis core. Offsets are UTF-16 code-unit offsets into a file's text. */

export type Severity = 'error' | 'warning' | 'info';
export type SeveritySetting = Severity | 'off';

/** 0-based line and UTF-16 character, as editors (and LSP) count. */
export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

/** Replace text[start, end) with newText. */
export interface TextEdit {
  start: number;
  end: number;
  newText: string;
}

export interface Fix {
  title: string;
  edits: TextEdit[];
}

/** A rule's finding, plain data (it survives JSON and structured cloning as it is). */
export interface Finding {
  ruleId: string;
  severity: Severity;
  /** Which of the rule's meta.messages the message was made from. */
  messageId: string;
  message: string;
  /** The file's path as the caller named it. */
  file: string;
  start: number;
  end: number;
  range: Range;
  /** The checked fix, in document coordinates; present only when the lint was asked for fixes (LintOptions). */
  fix?: Fix;
}

/** Problems with the configuration: reported, never fatal. */
export interface ConfigProblem {
  path: string;
  message: string;
}
