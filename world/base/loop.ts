// The resumable loop every stage shares: run steps until the stage's total, save the state every few
// minutes and at the end, and on Ctrl-C (SIGINT/SIGTERM) finish the current step, save, and stop.
export interface LoopOptions {
  from: number;
  steps: number;
  saveEverySeconds: number;
  step: (s: number) => Promise<string>;
  save: () => Promise<void>;
  log: (line: string) => void;
}

/** Returns true when the stage reached its last step, false when it was interrupted. */
export async function runLoop(o: LoopOptions): Promise<boolean> {
  let stop = false;
  const onSignal = () => {
    if (stop) process.exit(130);
    stop = true;
    o.log('interrupted: saving the state after this step (Ctrl-C again to quit without saving)');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    let saved = Date.now();
    const t0 = Date.now();
    for (let s = o.from; s < o.steps && !stop; s++) {
      const line = await o.step(s);
      if ((s + 1) % 25 === 0 || s === o.from) o.log(`step ${s + 1}/${o.steps}  ${line}  ${((Date.now() - t0) / 1000 / (s + 1 - o.from)).toFixed(2)} s/step`);
      if (Date.now() - saved > o.saveEverySeconds * 1000) {
        await o.save();
        saved = Date.now();
      }
    }
    await o.save();
    return !stop;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
