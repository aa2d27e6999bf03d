/** Starts an EmbeddedBroker on an ephemeral loopback port with a temp data dir and a log capture. */
import { EmbeddedBroker, type EmbeddedBrokerOptions } from '../../../src/broker/embedded-broker.js';
import { createLogger, type Logger } from '../../../src/log/logger.js';
import { tempDir } from '../../support/tmp.js';

export interface LogCapture {
  logger: Logger;
  lines: string[];
}

export function captureLogger(level: 'debug' | 'info' | 'warn' = 'info'): LogCapture {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level, write: (l) => lines.push(l) }) };
}

export interface TestBroker {
  broker: EmbeddedBroker;
  dataDir: string;
  logs: string[];
  bootstrap: string;
  restart(opts?: Partial<EmbeddedBrokerOptions>): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestBroker(opts: Partial<EmbeddedBrokerOptions> = {}): Promise<TestBroker> {
  const dir = tempDir('k2-broker-');
  const cap = captureLogger();
  const start = (o: Partial<EmbeddedBrokerOptions>): Promise<EmbeddedBroker> =>
    EmbeddedBroker.start({ dataDir: dir.path, port: 0, logger: cap.logger, ...o });
  const t: TestBroker = {
    broker: await start(opts),
    dataDir: dir.path,
    logs: cap.lines,
    get bootstrap() {
      return t.broker.bootstrap;
    },
    restart: async (o = {}) => {
      await t.broker.close();
      t.broker = await start({ ...opts, ...o });
    },
    stop: async () => {
      await t.broker.close();
      dir.cleanup();
    },
  };
  return t;
}
