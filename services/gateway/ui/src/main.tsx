import { QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { RouterProvider } from "react-router";

import { prefetchViewer } from "./api/account";
import { createQueryClient } from "./api/hooks";
import { loginPath, onSessionEnded } from "./api/session";
import { createRouter } from "./routes";
import "./styles.css";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");

const queryClient = createQueryClient();
const router = createRouter(queryClient);
// Who is looking is asked at once, beside the first page's code.
prefetchViewer(queryClient);
// A session that can't be renewed ends on the login page, which brings the user back here.
onSessionEnded((returnTo) => void router.navigate(loginPath(returnTo), { replace: true }));
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      {/* Router updates are not transitions: a transition may hold a control's new state
          back (a checkbox flicks back until the page renders); the pages keep their previous
          rows on screen themselves while the next answer loads. */}
      <RouterProvider router={router} useTransitions={false} />
    </QueryClientProvider>
  </StrictMode>,
);
