// The few `vscode` classes the CodeLens provider, the hierarchy store and the theorem index use,
// as plain data holders, so that the real provider code runs in Node for the scale benchmark. It
// is registered as the module `vscode` by scale.ts; nothing here is timed on its own.

type Listener<T> = (event: T) => unknown;

export class Disposable {
  private readonly onDispose: () => unknown;
  constructor(onDispose: () => unknown) {
    this.onDispose = onDispose;
  }
  dispose(): void {
    this.onDispose();
  }
}

export class EventEmitter<T> {
  private readonly listeners = new Set<Listener<T>>();
  readonly event = (listener: Listener<T>): Disposable => {
    this.listeners.add(listener);
    return new Disposable(() => this.listeners.delete(listener));
  };
  fire(event: T): void {
    for (const listener of [...this.listeners]) listener(event);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export class Position {
  readonly line: number;
  readonly character: number;
  constructor(line: number, character: number) {
    this.line = line;
    this.character = character;
  }
}

export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(startLine: number, startCharacter: number, endLine: number, endCharacter: number) {
    this.start = new Position(startLine, startCharacter);
    this.end = new Position(endLine, endCharacter);
  }
}

export class CodeLens {
  readonly range: Range;
  readonly command: { title: string; command: string; arguments?: unknown[]; tooltip?: string } | undefined;
  constructor(range: Range, command?: { title: string; command: string; arguments?: unknown[]; tooltip?: string }) {
    this.range = range;
    this.command = command;
  }
}

export class ThemeColor {
  readonly id: string;
  constructor(id: string) {
    this.id = id;
  }
}

export class ThemeIcon {
  readonly id: string;
  readonly color: ThemeColor | undefined;
  constructor(id: string, color?: ThemeColor) {
    this.id = id;
    this.color = color;
  }
}
