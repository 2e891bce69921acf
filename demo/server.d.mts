// Types of demo/server.mjs, for the TypeScript code and tests that start the demo server.

export declare const DEMO_MODEL_ID: 'insight-proof-demo';
export declare const DEMO_OWNER: 'insight-proof-demo';
export declare const ANSWERS_FILE: string;

export interface DemoPace {
  firstTokenDelayMs: number;
  chunkChars: number;
  chunkDelayMs: number;
}
export declare const DEMO_PACE: DemoPace;

export declare const NOT_A_SAMPLE: Readonly<Record<'techniques' | 'sketch' | 'proof', string>>;

export interface RecordedAnswer {
  key: string;
  statement: string;
  fingerprint: string;
  techniques: string;
  sketch: string;
  proof: string;
}

export declare function fingerprint(text: string): string;
export declare function loadAnswers(file?: string): RecordedAnswer[];
export declare function findAnswer(answers: readonly RecordedAnswer[], promptText: string): RecordedAnswer | undefined;

export interface DemoServer {
  baseUrl: string;
  port: number;
  /** How many recorded answers were loaded. */
  answers: number;
  close(): Promise<void>;
}

export declare function startDemoServer(options?: {
  port?: number;
  host?: string;
  answersFile?: string;
  pace?: Partial<DemoPace>;
  log?: (line: string) => void;
}): Promise<DemoServer>;
