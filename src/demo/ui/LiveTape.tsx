/** @jsxRuntime automatic */
/** @jsxImportSource react */
/** Live tape: the most recent trades, newest first, side coloured (BUY green, SELL red). */
import { Text } from 'ink';
import { formatClock, formatDecimal, padLeft, padRight } from '../format.js';
import type { DemoTrade } from '../types.js';
import { Panel } from './Panel.js';

export interface LiveTapeProps {
  trades: readonly DemoTrade[];
  rows: number;
}

export function LiveTape({ trades, rows }: LiveTapeProps) {
  const recent = trades.slice(-rows).reverse();
  return (
    <Panel title="Live tape" subtitle="newest first">
      <Text color="gray">{`${padRight('time (UTC)', 12)}  ${padRight('symbol', 8)}  ${padRight('side', 4)}  ${padLeft('price', 12)}  ${padLeft('qty', 11)}`}</Text>
      {recent.length === 0 ? <Text color="gray">waiting for the first trade…</Text> : null}
      {recent.map((t) => (
        <Text key={`${t.symbol}:${t.tradeId}`}>
          {`${formatClock(t.tradeTime)}  ${padRight(t.symbol, 8)}  `}
          <Text color={t.side === 'BUY' ? 'green' : t.side === 'UNKNOWN' ? 'gray' : 'red'}>{padRight(t.side, 4)}</Text>
          {`  ${padLeft(formatDecimal(t.price), 12)}  ${padLeft(formatDecimal(t.quantity, 0), 11)}`}
          {t.backfilled ? <Text color="yellow"> backfilled</Text> : null}
        </Text>
      ))}
    </Panel>
  );
}
