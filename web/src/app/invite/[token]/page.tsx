import { InviteJoin } from "../../../components/InviteJoin";

/** `/invite/TOKEN`: the link `berth team invite` prints. The token stays in the browser until Join. */
export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  return <InviteJoin token={decodeURIComponent(token)} />;
}
