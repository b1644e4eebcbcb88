import { decodeCaptureFile } from '../src/capture/file-format.js';
import { copyText } from '../src/cloud/store/pg-copy.js';
import { imagesOf } from '../src/cloud/images/images-of.js';
import { benchFiles } from './sync-fixtures.js';
const files = benchFiles(200, 500).map((f) => decodeCaptureFile(f.bytes).records);
for (let k = 0; k < 3; k++) {
  let c0 = process.cpuUsage(); let n = 0;
  for (const r of files) { n += copyText('123', '4', r, 0, r.length, null).length; }
  let c = process.cpuUsage(c0); console.log('copyText', ((c.user + c.system) / 1e5).toFixed(2), 'µs/rec', n);
  c0 = process.cpuUsage();
  for (const r of files) { imagesOf(r); }
  c = process.cpuUsage(c0); console.log('imagesOf', ((c.user + c.system) / 1e5).toFixed(2), 'µs/rec');
  c0 = process.cpuUsage();
  for (const r of files) for (const x of r) JSON.stringify((x as any).data);
  c = process.cpuUsage(c0); console.log('stringify', ((c.user + c.system) / 1e5).toFixed(2), 'µs/rec');
}
