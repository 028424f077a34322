// placeholder, replaced below
import type { CaseHandler } from './context';
export const pipeline: CaseHandler = async () => ({ status: 'skip', reason: 'pipeline case not wired yet' });
