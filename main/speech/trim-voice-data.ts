/**
 * `tsx main/speech/trim-voice-data.ts`: writes espeak-ng.hi-en.data beside eSpeak NG's module
 * (the Hindi and English voices only, see voice-data.ts), for packaging without the 24 MB file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { espeakDir, TRIMMED_DATA_FILE } from './espeak';
import { packageLayout, trimVoiceData } from './voice-data';

const dir = espeakDir();
const layout = packageLayout(readFileSync(join(dir, 'espeak-ng.js'), 'utf8'));
const trimmed = trimVoiceData(new Uint8Array(readFileSync(join(dir, 'espeak-ng.data'))), layout);
writeFileSync(join(dir, TRIMMED_DATA_FILE), trimmed);
console.log(`${join(dir, TRIMMED_DATA_FILE)}: ${(trimmed.length / 1e6).toFixed(2)} MB of ${(layout.size / 1e6).toFixed(1)} MB`);
