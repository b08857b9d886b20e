// Usage: node make-wallet-provider.mjs CA_PEM_FILE PROVIDER_JSON_FILE
// The suite's wallet provider: its CA for Sigil's [credentials] wallet_providers, and the
// attester key and chain the tests sign wallet attestations with.
import { writeFileSync } from 'node:fs';
import { exportProvider, walletProvider } from './wallet-provider.js';

const [caFile, providerFile] = process.argv.slice(2);
const provider = await walletProvider('Interop wallet provider');
writeFileSync(caFile, provider.caPem);
writeFileSync(providerFile, JSON.stringify(await exportProvider(provider)), { mode: 0o600 });
