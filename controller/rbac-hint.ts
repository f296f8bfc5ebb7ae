// What a 403 from the apiserver means for the controller, appended to the apiserver's own message
// (which already names the user, verb, resource and namespace): the fix is an RBAC grant, not a retry.
export const RBAC_HINT = 'RBAC: the controller\'s ServiceAccount lacks this permission — grant it as the Helm chart does (helm/berth, the table in docs/kubernetes.md)';

/** `message` with the RBAC hint when `status` is 403. */
export function withRbacHint(status: number, message: string): string {
  return status === 403 ? `${message} (${RBAC_HINT})` : message;
}
