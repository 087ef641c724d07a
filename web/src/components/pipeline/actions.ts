import type { TeamAction } from "../../server/policy/roles";

/** The policy actions behind the pipeline's buttons (the server checks them again; these only hide what it would refuse). */
export const CAN_SET_CONFIG: TeamAction = "environment.config";
export const CAN_PROMOTE: TeamAction = "release.promote";
export const CAN_ROLLBACK: TeamAction = "release.rollback";
