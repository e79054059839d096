/** Commander argument parser for a repeatable option: each use appends to the list. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
