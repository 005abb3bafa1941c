/** What one provider try came to: a `delivery_attempts` row's outcome. */
export const TRY_OUTCOMES = ['sent', 'transient', 'permanent', 'skipped'] as const;
export type TryOutcome = (typeof TRY_OUTCOMES)[number];
