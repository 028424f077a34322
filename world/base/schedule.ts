// Learning rate: linear warm-up, then cosine decay to `floor`·lr at the stage's last step.
export function warmupCosine(step: number, o: { lr: number; warmup: number; steps: number; floor?: number }): number {
  if (step < o.warmup) return (o.lr * (step + 1)) / o.warmup;
  const p = Math.min(1, (step - o.warmup) / Math.max(1, o.steps - o.warmup));
  const floor = o.floor ?? 0.1;
  return o.lr * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * p)));
}
