// `tsx scripts/trim-voice-data.mjs`: writes espeak-ng.hi-en.data beside eSpeak NG's module (the
// Hindi and English voices only, see main/speech/voice-data.ts), for packaging without the 24 MB
// file. Run by `npm run dist` and by the packaging check (dist-check.mjs).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { espeakDir, TRIMMED_DATA_FILE } from '../main/speech/espeak.ts';
import { packageLayout, trimVoiceData } from '../main/speech/voice-data.ts';

const dir = espeakDir();
const layout = packageLayout(readFileSync(join(dir, 'espeak-ng.js'), 'utf8'));
const trimmed = trimVoiceData(new Uint8Array(readFileSync(join(dir, 'espeak-ng.data'))), layout);
writeFileSync(join(dir, TRIMMED_DATA_FILE), trimmed);
console.log(`${join(dir, TRIMMED_DATA_FILE)}: ${(trimmed.length / 1e6).toFixed(2)} MB of ${(layout.size / 1e6).toFixed(1)} MB`);
