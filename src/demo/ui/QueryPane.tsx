/** @jsxRuntime automatic */
/** @jsxImportSource react */
/** Query pane: 1-minute OHLCV bars from Iceberg for the selected symbol, newest first. */
import { Text } from 'ink';
import { formatAge, formatDecimal, formatMinute, formatRounded, padLeft } from '../format.js';
import type { Micros } from '../../model/trade.js';
import type { BarsAnswer } from '../types.js';
import { Panel } from './Panel.js';

export interface QueryPaneProps {
  symbol: string;
  answer: BarsAnswer | null;
  rows: number;
  now: Micros;
}

export function QueryPane({ symbol, answer, rows, now }: QueryPaneProps) {
  const subtitle =
    answer?.kind === 'bars' ? `${answer.source}, ${formatAge(Number(now - answer.queriedAt) / 1000)} ago` : 'k2 query bars --interval 1m';
  return (
    <Panel title={`Query: 1-minute bars ${symbol}`} subtitle={subtitle}>
      {answer === null ? <Text color="gray">querying…</Text> : null}
      {answer?.kind === 'waiting' ? <Text color="gray">{answer.reason}</Text> : null}
      {answer?.kind === 'bars' ? (
        <>
          <Text color="gray">{`${padLeft('minute', 6)} ${padLeft('open', 11)} ${padLeft('high', 11)} ${padLeft('low', 11)} ${padLeft('close', 11)} ${padLeft('volume', 12)} ${padLeft('vwap', 11)} ${padLeft('trades', 6)}`}</Text>
          {answer.bars.length === 0 ? <Text color="gray">no rows for {symbol} yet</Text> : null}
          {[...answer.bars]
            .slice(-rows)
            .reverse()
            .map((b) => (
              <Text key={String(b.start)}>
                {`${padLeft(formatMinute(b.start), 6)} ${padLeft(formatDecimal(b.open), 11)} ${padLeft(formatDecimal(b.high), 11)} ${padLeft(formatDecimal(b.low), 11)} ${padLeft(formatDecimal(b.close), 11)} ${padLeft(formatDecimal(b.volume, 0), 12)} ${padLeft(formatRounded(b.vwap, 2), 11)} ${padLeft(String(b.trades), 6)}`}
              </Text>
            ))}
        </>
      ) : null}
    </Panel>
  );
}
