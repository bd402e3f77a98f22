import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const construct = read('packages/construct/package.json');
const root = read('package.json');

// What Construct Hub and jsii-pacmak read from the construct package, and the version scheme (docs/PACKAGES.md).
describe('the construct package’s metadata', () => {
  it('names Construct Hub’s keywords, the root’s licence, its repository, author and stability', () => {
    expect(construct.keywords).toEqual(
      expect.arrayContaining(['cdk', 'awscdk', 'aws-cdk', 'amazon-connect']),
    );
    expect(construct.license).toBe(root.license);
    expect(construct.repository).toMatchObject({ type: 'git', directory: 'packages/construct' });
    expect(construct.author.name).toEqual(expect.any(String));
    expect(construct.stability).toBe('experimental');
  });

  it('targets Python, Java and Go', () => {
    const { python, java, go } = construct.jsii.targets;
    expect(python).toEqual({ distName: expect.any(String), module: expect.stringMatching(/^[a-z_]+$/) });
    expect(java).toMatchObject({ package: expect.any(String), maven: { groupId: expect.any(String) } });
    expect(go.moduleName).toMatch(/^github\.com\//);
  });

  it('shares one version with the root package, which depends on exactly it', () => {
    expect(construct.version).toBe(root.version);
    expect(root.dependencies[construct.name]).toBe(construct.version);
    expect(construct.peerDependencies['aws-cdk-lib']).toBe(root.peerDependencies['aws-cdk-lib']);
  });
});
