// Actions Asterisk 22.10.1 registers (ListCommands as admin, http_16b_rawman_listcommands): name,
// synopsis exactly as printed (trailing blanks kept: ListCommands prints `%s: %s (Priv: %s)`), and
// the authority as `authority_to_str` printed it.
import { getPerm } from './perms.ts';

export interface RegisteredAction {
  readonly name: string;
  readonly synopsis: string;
  /** Write classes of which any one allows the action; 0 = anyone logged in. */
  readonly authority: number;
}

const TABLE: ReadonlyArray<readonly [string, string, string]> = [
  ['AbsoluteTimeout', 'Set absolute timeout. ', 'system,call,all'],
  ['AOCMessage', 'Generate an Advice of Charge message on a channel. ', 'aoc,all'],
  ['Atxfer', 'Attended transfer. ', 'call,all'],
  ['BlindTransfer', 'Blind transfer channel(s) to the given destination ', 'call,all'],
  ['Bridge', 'Bridge two channels already in the PBX. ', 'call,all'],
  ['BridgeDestroy', 'Destroy a bridge. ', '<none>'],
  ['BridgeInfo', 'Get information about a bridge. ', '<none>'],
  ['BridgeKick', 'Kick a channel from a bridge. ', '<none>'],
  ['BridgeList', 'Get a list of bridges in the system. ', '<none>'],
  ['BridgeTechnologyList', 'List available bridging technologies and their statuses. ', '<none>'],
  ['BridgeTechnologySuspend', 'Suspend a bridging technology. ', '<none>'],
  ['BridgeTechnologyUnsuspend', 'Unsuspend a bridging technology. ', '<none>'],
  ['CancelAtxfer', 'Cancel an attended transfer. ', 'call,all'],
  ['Challenge', 'Generate Challenge for MD5 Auth. ', '<none>'],
  ['Command', 'Execute Asterisk CLI Command. ', 'command,all'],
  ['CoreSettings', 'Show PBX core settings (version etc). ', 'system,reporting,all'],
  ['CoreShowChannelMap', 'List all channels connected to the specified channel. ', 'system,reporting,all'],
  ['CoreShowChannels', 'List currently active channels. ', 'system,reporting,all'],
  ['CoreStatus', 'Show PBX core status variables. ', 'system,reporting,all'],
  ['CreateConfig', 'Creates an empty file in the configuration directory. ', 'config,all'],
  ['DBDel', 'Delete DB entry. ', 'system,all'],
  ['DBDelTree', 'Delete DB Tree. ', 'system,all'],
  ['DBGet', 'Get DB Entry. ', 'system,reporting,all'],
  ['DBGetTree', 'Get DB entries, optionally at a particular family/key ', 'system,reporting,all'],
  ['DBPut', 'Put DB entry. ', 'system,all'],
  ['DeviceStateList', 'List the current known device states. ', 'call,reporting,all'],
  ['DialplanExtensionAdd', 'Add an extension to the dialplan ', 'system,all'],
  ['DialplanExtensionRemove', 'Remove an extension from the dialplan ', 'system,all'],
  ['Events', 'Control Event Flow. ', '<none>'],
  ['ExtensionState', 'Check Extension Status. ', 'call,reporting,all'],
  ['ExtensionStateList', 'List the current known extension states. ', 'call,reporting,all'],
  ['Filter', 'Dynamically add filters for the current manager session. ', 'system,all'],
  ['GetConfig', 'Retrieve configuration. ', 'system,config,all'],
  ['GetConfigJSON', 'Retrieve configuration (JSON format). ', 'system,config,all'],
  ['Getvar', 'Gets a channel variable or function value. ', 'call,reporting,all'],
  ['Hangup', 'Hangup channel. ', 'system,call,all'],
  ['ListCategories', 'List categories in configuration file. ', 'config,all'],
  ['ListCommands', 'List available manager commands. ', '<none>'],
  ['LocalOptimizeAway', 'Optimize away a local channel when possible. ', 'system,call,all'],
  ['LoggerRotate', 'Reload and rotate the Asterisk logger. ', 'system,reporting,all'],
  ['Login', 'Login Manager. ', '<none>'],
  ['Logoff', 'Logoff Manager. ', '<none>'],
  ['MailboxCount', 'Check Mailbox Message Count. ', 'call,reporting,all'],
  ['MailboxStatus', 'Check mailbox. ', 'call,reporting,all'],
  ['MessageSend', 'Send an out of call message to an endpoint. ', 'message,all'],
  ['ModuleCheck', 'Check if module is loaded. ', 'system,all'],
  ['ModuleLoad', 'Module management. ', 'system,all'],
  ['Originate', 'Originate a call. ', 'originate,all'],
  ['Ping', 'Keepalive command. ', '<none>'],
  ['PlayDTMF', 'Play DTMF signal on a specific channel. ', 'call,all'],
  ['PresenceState', 'Check Presence State ', 'call,reporting,all'],
  ['PresenceStateList', 'List the current known presence states. ', 'call,reporting,all'],
  ['QueueAdd', 'Add interface to queue. ', 'agent,all'],
  ['QueueChangePriorityCaller', 'Change priority of a caller on queue. ', '<none>'],
  ['QueueLog', 'Adds custom entry in queue_log. ', 'agent,all'],
  ['QueueMemberRingInUse', 'Set the ringinuse value for a queue member. ', 'agent,all'],
  ['QueuePause', 'Makes a queue member temporarily unavailable. ', 'agent,all'],
  ['QueuePenalty', 'Set the penalty for a queue member. ', 'agent,all'],
  ['QueueReload', 'Reload a queue, queues, or any sub-section of a queue or queues. ', '<none>'],
  ['QueueRemove', 'Remove interface from queue. ', 'agent,all'],
  ['QueueReset', 'Reset queue statistics. ', '<none>'],
  ['QueueRule', 'Queue Rules. ', '<none>'],
  ['QueueStatus', 'Show queue status. ', '<none>'],
  ['QueueSummary', 'Show queue summary. ', '<none>'],
  ['QueueWithdrawCaller', 'Request to withdraw a caller from the queue back to the dialplan. ', '<none>'],
  ['Redirect', 'Redirect (transfer) a call. ', 'call,all'],
  ['Reload', 'Send a reload event. ', 'system,config,all'],
  ['SendFlash', 'Send a hook flash on a specific channel. ', 'call,all'],
  ['SendText', 'Sends a text message to channel. A content type\tcan be optionally specified. If not set it is set to an empty string allowing a custom handler to default it as it sees fit. ', 'call,all'],
  ['Setvar', 'Sets a channel variable or function value. ', 'call,all'],
  ['ShowDialPlan', 'Show dialplan contexts and extensions ', 'config,reporting,all'],
  ['Status', 'List channel status. ', 'system,call,reporting,all'],
  ['UpdateConfig', 'Update basic configuration. ', 'config,all'],
  ['UserEvent', 'Send an arbitrary event. ', 'user,all'],
  ['WaitEvent', 'Wait for an event to occur. ', '<none>'],
];

function authority(priv: string): number {
  return priv === '<none>' ? 0 : getPerm(priv.replace(/,all$/, ''));
}

/** Registered actions in Asterisk's (alphabetical, case-insensitive) order. */
export const ACTIONS: ReadonlyArray<RegisteredAction> = TABLE.map(([name, synopsis, priv]) => ({
  name,
  synopsis,
  authority: authority(priv),
}));

const BY_NAME = new Map(ACTIONS.map((a) => [a.name.toLowerCase(), a]));

/** Looks an action up the way Asterisk does (case-insensitive). */
export function findAction(name: string): RegisteredAction | undefined {
  return BY_NAME.get(name.toLowerCase());
}
