// The user model shared by auth/, session/ and http/.

/** Bit mask of AMI permission classes (spec §5.1): system=1, call=2, … message=1<<30, all=0x7fffffff. */
export type ClassMask = number;

export interface EventFilterRule {
  /** true for an exclude rule (`!regex`), false for include. */
  exclude: boolean;
  /** Returns true when the rule matches the event. */
  matches(event: import('../ami/message.ts').AmiMessage): boolean;
}

export interface User {
  /** Name as written in the users file (lookups are case-insensitive). */
  name: string;
  secret: string | undefined;
  read: ClassMask;
  write: ClassMask;
  /** Client address allowed? (permit/deny ACL from the users file) */
  allows(address: string): boolean;
  eventFilters: EventFilterRule[];
  allowMultipleLogin: boolean;
}
