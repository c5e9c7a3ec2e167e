import { simCampaignTest } from './sim-suite.js';

// CI's 1,000 worlds, spread over two processes (both cores).
simCampaignTest();
