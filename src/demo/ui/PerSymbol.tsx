/** @jsxRuntime automatic */
/** @jsxImportSource react */
/** Per symbol: last price, change since start, msg/s, 1-minute VWAP and a price sparkline. */
import { Text } from 'ink';
import { formatChange, formatDecimal, formatRounded, padLeft, padRight } from '../format.js';
import type { SymbolFigures } from '../model/market-view.js';
import { sparkline } from '../model/sparkline.js';
import { Panel } from './Panel.js';

export interface PerSymbolProps {
  figures: readonly SymbolFigures[];
  selected: string;
}

export function PerSymbol({ figures, selected }: PerSymbolProps) {
  return (
    <Panel title="Per symbol" subtitle="←/→ select">
      <Text color="gray">{`  ${padRight('symbol', 8)} ${padLeft('last', 11)} ${padLeft('change', 18)} ${padLeft('msg/s', 6)} ${padLeft('VWAP 1m', 11)}  price 2m`}</Text>
      {figures.map((f) => {
        const isSelected = f.symbol === selected;
        const change = formatChange(f.change, f.changeBps);
        const changeColor = f.change === null || f.change === 0n ? undefined : f.change > 0n ? 'green' : 'red';
        return (
          <Text key={f.symbol} bold={isSelected}>
            {isSelected ? <Text color="cyan">▶ </Text> : '  '}
            {`${padRight(f.symbol, 8)} ${padLeft(f.last === null ? '—' : formatDecimal(f.last), 11)} `}
            <Text color={changeColor}>{padLeft(change, 18)}</Text>
            {` ${padLeft(f.msgsPerSecond.toFixed(1), 6)} ${padLeft(f.vwap1m === null ? '—' : formatRounded(f.vwap1m, 2), 11)}  `}
            <Text color="cyan">{sparkline(f.spark)}</Text>
          </Text>
        );
      })}
    </Panel>
  );
}
