import { Home } from "../components/shell/Home";

export default function Page() {
  return <Home />;
}
