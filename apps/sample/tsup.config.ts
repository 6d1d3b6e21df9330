import { appConfig } from '../../tsup.shared';

export default appConfig();
