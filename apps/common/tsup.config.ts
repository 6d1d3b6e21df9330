import { appConfig } from '../../tsup.shared';

export default appConfig({}, { cli: false });
