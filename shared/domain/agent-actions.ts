/** The buttons on a handoff card, in the domain's words: Claim, Release (give it back), Take over (from whoever has it), Resolve. */
export type AgentActionKind = 'claim' | 'release' | 'take-over' | 'resolve';
