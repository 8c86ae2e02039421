import { QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { RouterProvider } from "react-router";

import { createQueryClient } from "./api/hooks";
import { createRouter } from "./routes";
import "./styles.css";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");

const queryClient = createQueryClient();
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      {/* Router updates are not transitions: a transition may hold a control's new state
          back (a checkbox flicks back until the page renders); the pages keep their previous
          rows on screen themselves while the next answer loads. */}
      <RouterProvider router={createRouter(queryClient)} useTransitions={false} />
    </QueryClientProvider>
  </StrictMode>,
);
