/** The package version, recorded in every manifest and checkpoint. Kept in sync with package.json by test/version.test.ts. */
export const SCMIX_VERSION = '0.1.0';
