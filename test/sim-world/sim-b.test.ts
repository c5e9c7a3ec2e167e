import { simCampaignTest } from './sim-suite.js';

// Half of CI's worlds (the other half runs in sim-a, on the other core).
simCampaignTest(1);
