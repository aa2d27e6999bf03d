/** @jsxRuntime automatic */
/** @jsxImportSource react */
/**
 * The k2 demo dashboard: header (LIVE or REPLAY), Per symbol, Live tape, Pipeline
 * health and the Query pane. Keys: ←/→ select the symbol, p pauses the display
 * (the pipeline keeps running), q quits.
 */
import { Box, Text, useInput, useStdout } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { nowMicros } from '../../model/time.js';
import type { Micros } from '../../model/trade.js';
import { formatAge, formatCount } from '../format.js';
import type { MarketSnapshot, MarketView } from '../model/market-view.js';
import type { BarsAnswer, DemoMode, PipelineHealth } from '../types.js';
import { HealthPanel } from './HealthPanel.js';
import { LiveTape } from './LiveTape.js';
import { PerSymbol } from './PerSymbol.js';
import { QueryPane } from './QueryPane.js';

export interface DemoAppProps {
  mode: DemoMode;
  /** One plain sentence on where the data comes from (and why, in replay). */
  notice: string;
  symbols: readonly string[];
  view: MarketView;
  health: () => PipelineHealth;
  bars: (symbol: string) => Promise<BarsAnswer>;
  onQuit: () => void;
  startedAt: Micros;
  clock?: () => Micros;
  refreshMs?: number;
  barsRefreshMs?: number;
  tapeRows?: number;
}

interface Frame {
  now: Micros;
  market: MarketSnapshot;
  health: PipelineHealth;
}

export function DemoApp(props: DemoAppProps) {
  const { view, health, bars, symbols, onQuit } = props;
  const clock = props.clock ?? nowMicros;
  const { stdout } = useStdout();
  const columns = stdout.columns > 0 ? stdout.columns : 80;
  const [paused, setPaused] = useState(false);
  const [selected, setSelected] = useState(0);
  const capture = (): Frame => {
    const now = clock();
    return { now, market: view.snapshot(now), health: health() };
  };
  const [latest, setFrame] = useState<Frame>(capture);
  // While paused the display shows the frame taken when p was pressed; the pipeline keeps running.
  const frozen = useRef<Frame | null>(null);
  const frame = paused && frozen.current !== null ? frozen.current : latest;
  const [answer, setAnswer] = useState<BarsAnswer | null>(null);
  const symbol = symbols[selected] ?? symbols[0] ?? '';

  useEffect(() => {
    if (paused) return;
    const timer = setInterval(() => setFrame(capture()), props.refreshMs ?? 250);
    return () => clearInterval(timer);
  }, [paused]);

  useEffect(() => {
    if (paused) return;
    let live = true;
    const run = (): void => {
      bars(symbol).then(
        (a) => live && setAnswer(a),
        (err: unknown) => live && setAnswer({ kind: 'waiting', reason: `query failed: ${err instanceof Error ? err.message : String(err)}` }),
      );
    };
    setAnswer(null);
    run();
    const timer = setInterval(run, props.barsRefreshMs ?? 5000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [symbol, paused]);

  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) onQuit();
    else if (input === 'p') {
      const now = capture();
      frozen.current = paused ? null : now;
      setPaused(!paused);
      setFrame(now);
    } else if (key.rightArrow) setSelected((i) => (i + 1) % Math.max(1, symbols.length));
    else if (key.leftArrow) setSelected((i) => (i - 1 + symbols.length) % Math.max(1, symbols.length));
  });

  const wide = columns >= 140;
  // Fit the terminal: the other panels take about 33 lines stacked, 24 side by side.
  const rows = stdout.rows > 0 ? stdout.rows : 40;
  const tapeRows = props.tapeRows ?? Math.max(3, Math.min(12, rows - (wide ? 24 : 33)));
  const uptimeMs = Number(frame.now - props.startedAt) / 1000;
  return (
    <Box flexDirection="column" width={Math.min(columns, 180)}>
      <Box>
        <Text bold>k2 demo </Text>
        {props.mode === 'replay' ? (
          <Text backgroundColor="yellow" color="black" bold>
            {' REPLAY '}
          </Text>
        ) : (
          <Text backgroundColor="green" color="black" bold>
            {' LIVE '}
          </Text>
        )}
        <Text>{` ${props.notice}`}</Text>
      </Box>
      <Text color="gray">
        {`up ${formatAge(uptimeMs)} · ${formatCount(frame.market.totalTrades)} trades · ${formatCount(frame.market.totalQuotes)} quotes received`}
      </Text>
      {paused ? (
        <Text backgroundColor="magenta" color="white" bold>
          {' PAUSED: display frozen, pipeline still running; p resumes '}
        </Text>
      ) : null}
      <PerSymbol figures={frame.market.symbols} selected={symbol} />
      <Box flexDirection={wide ? 'row' : 'column'}>
        <Box width={wide ? '50%' : undefined}>
          <LiveTape trades={frame.market.tape} rows={tapeRows} />
        </Box>
        <Box width={wide ? '50%' : undefined}>
          <HealthPanel health={frame.health} now={frame.now} />
        </Box>
      </Box>
      <QueryPane symbol={symbol} answer={answer} rows={5} now={frame.now} />
      <Text color="gray">←/→ symbol · p pause · q quit</Text>
    </Box>
  );
}
