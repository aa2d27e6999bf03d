/**
 * Binance conversion throughput (issue 2): JSON parse + validate + convert + Avro
 * encode of @trade combined-stream frames, beside a floor measured in the same
 * run: plain JSON.parse of the same frames + avsc encode of one prebuilt record.
 * Goal: conversion >= 0.5x floor.
 */
import { v2Type } from '../src/schema/v2-schemas.js';
import { BinanceFrameConverter } from '../src/sources/binance/frame-converter.js';
import type { TradeV2 } from '../src/model/trade.js';
import { throughputResult, type BenchSuite } from './lib/result.js';

const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'BNBBTC', 'SOLFDUSD'];

export function tradeFrames(n: number): string[] {
  const frames: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = SYMBOLS[i % SYMBOLS.length]!;
    const price = `${60000 + (i % 997)}.${String((i * 7919) % 100_000_000).padStart(8, '0')}`;
    const qty = `0.${String((i * 104729) % 100_000_000 || 1).padStart(8, '0')}`;
    const data = { e: 'trade', E: 1718035200000 + i, s, t: 3_600_000_000 + i, p: price, q: qty, T: 1718035200000 + i, m: i % 3 === 0, M: true };
    frames.push(JSON.stringify({ stream: `${s.toLowerCase()}@trade`, data }));
  }
  return frames;
}

function timeRows(rounds: number, frames: string[], fn: (frame: string) => void): number {
  // best of `rounds` passes, rows/s
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < frames.length; i++) fn(frames[i]!);
    const dt = (performance.now() - t0) / 1000;
    best = Math.max(best, frames.length / dt);
  }
  return best;
}

const suite: BenchSuite = async ({ quick, log }) => {
  const n = quick ? 40_000 : 200_000;
  const rounds = quick ? 5 : 7;
  const frames = tradeFrames(n);
  const type = v2Type('trades');
  const converter = new BinanceFrameConverter();
  const first = converter.convertText(frames[0]!);
  if (first.type !== 'record' || first.tagged.kind !== 'trades') throw new Error('bench frame did not convert');
  const prebuilt: TradeV2 = first.tagged.record;
  let sink = 0;

  // warm both paths
  timeRows(1, frames.slice(0, 20_000), (f) => {
    sink += (JSON.parse(f) as { data: unknown }).data === null ? 1 : 0;
    sink += type.toBuffer(prebuilt).length;
    const o = converter.convertText(f);
    if (o.type === 'record') sink += type.toBuffer(o.tagged.record).length;
  });

  // Floor and conversion alternate round by round (best of each), so a change in
  // machine load during the run affects both alike.
  let floor = 0;
  let convert = 0;
  let errors = 0;
  for (let r = 0; r < rounds; r++) {
    floor = Math.max(
      floor,
      timeRows(1, frames, (f) => {
        const v = JSON.parse(f) as { data: unknown };
        sink += v.data === null ? 1 : type.toBuffer(prebuilt).length;
      }),
    );
    convert = Math.max(
      convert,
      timeRows(1, frames, (f) => {
        const o = converter.convertText(f);
        if (o.type === 'record') sink += type.toBuffer(o.tagged.record).length;
        else errors++;
      }),
    );
  }
  if (errors > 0) throw new Error(`${errors} bench frames failed to convert`);
  log(`binance: ${n} trade frames x${rounds}; floor ${Math.round(floor)} rows/s, convert ${Math.round(convert)} rows/s (checksum ${sink})`);
  return [
    throughputResult('binance: JSON parse+validate+convert+Avro encode', convert, 'rows/s', floor, 0.5),
  ];
};

export default suite;
