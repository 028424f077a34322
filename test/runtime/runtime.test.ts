// The worker-backed runtime on the CPU provider: provider report, errors, a responsive main thread
// while the worker computes, a crashing worker, and closing.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openRuntime, type HostTensor, type Runtime } from '../../sidecar/runtime/runtime';
import { affineModel, affineRef, busyModel, lcg, maxRelErr } from './models';

const host = (dims: number[], data: Float32Array): HostTensor => ({ dtype: 'float32', dims, data });

describe('runtime on the CPU provider', () => {
  let rt: Runtime;
  before(async () => {
    rt = await openRuntime({ providers: ['cpu'], threads: 1 });
  });
  after(() => rt.close());

  it('reports what it chose and why', () => {
    assert.equal(rt.provider, 'cpu');
    const cpu = rt.report.find((r) => r.name === 'cpu');
    assert.ok(cpu?.available && cpu.reason.length > 0);
  });

  it('rejects a bad feed with the model name and ORT\'s message, and stays usable', async () => {
    const s = await rt.load({ bytes: affineModel(lcg(4, 1), 5, 4) }, { name: 'affine' });
    await assert.rejects(
      s.run({ x: host([3, 6], lcg(18, 2)), w: host([5, 4], lcg(20, 3)) }),
      (e: Error) => /^model "affine": /.test(e.message) && /dimension|shape|Got invalid/i.test(e.message),
    );
    await assert.rejects(s.run({ x: host([3, 5], lcg(15, 2)) }), /model "affine": .*w/);
    await assert.rejects(s.run({ x: host([3, 5], lcg(15, 2)), w: host([5, 4], lcg(20, 3)) }, { keepOnDevice: ['nope'] }), /unknown outputs nope/);
    const ok = await s.run({ x: host([3, 5], lcg(15, 2)), w: host([5, 4], lcg(20, 3)) });
    assert.deepEqual((ok.y as HostTensor).dims, [3, 4]);
    // A view into a larger buffer is sent as just its own elements.
    const big = lcg(40, 2);
    const view = host([3, 5], big.subarray(20, 35));
    const w = lcg(20, 3);
    const y = (await s.run({ x: view, w: host([5, 4], w) })).y as HostTensor;
    assert.ok(maxRelErr(y.data as Float32Array, affineRef(big.subarray(20, 35), w, lcg(4, 1), 3, 5, 4)) < 1e-5);
    await s.release();
    await assert.rejects(s.run({}), /session #\d+ was released/);
  });

  it('rejects a model that does not parse, naming it', async () => {
    await assert.rejects(rt.load({ bytes: new Uint8Array([1, 2, 3, 4]) }, { name: 'junk' }), /^Error: loading model "junk" failed: ./);
    await assert.rejects(rt.load({ onnxPath: '/nonexistent/model.onnx' }, { name: 'missing' }), /loading model "missing" from \/nonexistent\/model.onnx failed/);
  });

  it('keeps the main thread responsive while the worker runs a long graph', async () => {
    const size = 384;
    const s = await rt.load({ bytes: busyModel(size, 120) }, { name: 'busy' });
    const x = host([size, size], lcg(size * size, 4));
    const a = host([size, size], lcg(size * size, 5).map((v) => v / 8));
    let ticks = 0;
    let settled = false;
    let ticksWhilePending = 0;
    const timer = setInterval(() => {
      ticks++;
      if (!settled) ticksWhilePending = ticks;
    }, 1);
    const pending = s.run({ x, a }).finally(() => (settled = true));
    // The timer must fire before the run settles: impossible if the run blocked this thread.
    await pending;
    clearInterval(timer);
    assert.ok(ticksWhilePending >= 2, `timer fired ${ticksWhilePending} times while the run was pending`);
    await s.release();
  });
});

describe('automatic provider choice', () => {
  it('probes cuda, webgpu and cpu, picks a usable one and explains the others', async () => {
    const rt = await openRuntime();
    try {
      assert.deepEqual(rt.report.map((r) => r.name), ['cuda', 'webgpu', 'cpu']);
      for (const r of rt.report) assert.ok(r.reason.length > 10, `${r.name} has a reason`);
      const chosen = rt.report.find((r) => r.name === rt.provider);
      assert.ok(chosen?.available, `${rt.provider} is available`);
      const webgpu = rt.report.find((r) => r.name === 'webgpu');
      if (webgpu?.available && /CPU emulation/.test(webgpu.reason)) assert.notEqual(rt.provider, 'webgpu', 'an emulated adapter is not chosen automatically');
      const cuda = rt.report.find((r) => r.name === 'cuda');
      if (!cuda?.available) assert.notEqual(rt.provider, 'cuda');
    } finally {
      await rt.close();
    }
  });
});

describe('runtime failures', () => {
  for (const mode of ['exit', 'throw'] as const) {
    it(`rejects pending and later calls when the worker dies (${mode})`, async () => {
      process.env.DYING_WORKER_MODE = mode;
      const rt = await openRuntime({ workerPath: join(__dirname, 'fixtures', 'dying-worker.cjs') });
      const why = mode === 'exit' ? /worker exited \(code 7\)/ : /worker crashed: simulated native failure/;
      await assert.rejects(rt.load({ bytes: new Uint8Array(8) }, { name: 'm' }), why);
      await assert.rejects(rt.download({ kind: 'device', dtype: 'float32', dims: [1], id: 1, location: 'cpu' }), why);
      await rt.close().catch(() => undefined);
    });
  }

  it('refuses calls after close', async () => {
    const rt = await openRuntime({ providers: ['cpu'] });
    await rt.close();
    await assert.rejects(rt.load({ bytes: affineModel(lcg(4, 1), 5, 4) }), /closed/);
  });
});
